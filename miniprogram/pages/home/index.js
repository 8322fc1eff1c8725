const { createHomePage } = require('./logic');

Page(createHomePage({ api: require('../../utils/client'), wx }));
