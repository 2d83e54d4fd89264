// A full garbage collection on demand, for the one point in `keyrelay plan` where most of the heap has
// just become garbage: the program's run under the mock runtime is over and only a compact copy of
// what it declared is needed. Left to itself, V8 sets its next collection by the heap's size at the
// last one (taken while the run's registrations were all in flight) and lets the plan's own work
// pile up on top of the run's garbage. `gc` exists only where --expose-gc was set when the context
// was made; the flag is set for one new context and unset again.
import * as v8 from "v8";
import * as vm from "vm";

export function collectGarbage(): void {
    v8.setFlagsFromString("--expose-gc");
    try {
        (vm.runInNewContext("gc") as () => void)();
    } finally {
        v8.setFlagsFromString("--no-expose-gc");
    }
}
