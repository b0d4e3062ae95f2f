export * from "./fernetKey";
