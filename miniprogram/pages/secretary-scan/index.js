const { createSecretaryScanPage } = require('./logic');

Page(createSecretaryScanPage({ api: require('../../utils/client'), wx }));
