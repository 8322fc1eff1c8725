// Written by `make mp-config` from mp_config/<deployment>.json; this copy is the demo deployment's.
module.exports = {
  apiBase: 'http://127.0.0.1:5000',
  subscribeTemplates: {},
};
