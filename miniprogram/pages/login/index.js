const { createLoginPage } = require('./logic');

Page(createLoginPage({ api: require('../../utils/client'), wx }));
