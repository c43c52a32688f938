// `pulumi up` runs this: the stack's outputs are what landingZone() returns.
import { landingZone } from "./landingZone";

export = async () => landingZone();
