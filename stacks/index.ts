import { deployEnvironment } from "./program";

export = deployEnvironment();
