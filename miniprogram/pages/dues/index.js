const { createDuesPage } = require('./logic');

Page(createDuesPage({ api: require('../../utils/client'), wx }));
