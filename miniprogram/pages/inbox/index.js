const { createInboxPage } = require('./logic');

Page(createInboxPage({ api: require('../../utils/client'), wx }));
