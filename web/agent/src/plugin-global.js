// The plugin alone, for a company's own Converse.js page: load this file
// after converse.min.js and before converse.initialize, then add
// "parley-agent" to whitelisted_plugins and set parley_service.
import { register } from "./plugin.js";

register(window.converse);
