#!/usr/bin/env bash
# Builds the web console's committed front-end assets in web/static/ from the npm packages that
# package.json pins (clerk itself runs with no node: the built files are committed; run this only
# after changing a version, then commit web/static/ with package.json and package-lock.json):
#   govuk-frontend 6.6.0   -> web/static/govuk-frontend.min.css (Sass compiled here) and govuk-frontend.min.js
#   sass 1.108.2           (the compiler; build only)
#   axe-core 4.14.1        (not built into anything: the browser tests read node_modules/axe-core/axe.min.js)
# The CSS uses a system font stack (arial, sans-serif) and has NO GDS Transport @font-face: no fonts
# are shipped. $govuk-assets-path is /static/, but no image is copied: govuk-frontend's images are
# all the crown (favicon, icons, the footer's crest), which a service outside GOV.UK must not use;
# the console's templates leave out the markup that would ask for them.
# Usage: scripts/build_console_assets.sh      (runs `npm ci` first when node_modules/ is missing)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules/govuk-frontend ] || [ ! -x node_modules/.bin/sass ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

out=web/static
src=node_modules/govuk-frontend/dist/govuk
mkdir -p "$out"

node_modules/.bin/sass --stdin --load-path=node_modules --style=compressed --no-source-map \
    --quiet-deps "$out/govuk-frontend.min.css" <<'SCSS'
@use "govuk-frontend/dist/govuk" with (
  $govuk-font-family: (arial, sans-serif),
  $govuk-include-default-font-face: false,
  $govuk-assets-path: "/static/"
);
SCSS

# The JS is an ES module (<script type="module">); its source map is left out (nothing links it).
sed 's,//# sourceMappingURL=.*$,,' "$src/govuk-frontend.min.js" >"$out/govuk-frontend.min.js"

if grep -q "GDS Transport\|@font-face" "$out/govuk-frontend.min.css"; then
    echo "build_console_assets: the CSS still names GDS Transport or declares a font face" >&2
    exit 1
fi
printf 'built %s\n' "$out/govuk-frontend.min.css" "$out/govuk-frontend.min.js"
