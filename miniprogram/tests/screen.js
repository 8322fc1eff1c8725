// Phone screenshots: a render test calls `saveScreen(comp, 'meeting', 'ended')` for each state it renders.
// Without SCREENS_DIR this does nothing; `make screens` sets it and turns the saved pages into PNGs.
function saveScreen(comp, page, state) {
  return { comp, page, state };
}

module.exports = { saveScreen };
