// Starts GOV.UK Frontend's components on every console page. A module file, not an inline
// script, because the console's Content-Security-Policy forbids inline scripts; module scripts
// run after the document is parsed, so document.body is there. The two body classes are what
// govuk-frontend's own page template adds inline (they switch on the components' JS styles).
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
