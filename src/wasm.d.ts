/**
 * `.wasm` imports — wrangler compiles them at deploy time and hands the Worker a module.
 */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
