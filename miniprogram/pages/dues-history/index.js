const { createDuesHistoryPage } = require('./logic');

Page(createDuesHistoryPage({ api: require('../../utils/client'), wx }));
