/** Runs the RunStore conformance suite against every store available here. */
import { storeTargets } from "../helpers/stores.ts";
import { describeStore } from "./store-conformance.ts";

for (const target of storeTargets()) describeStore(target);
