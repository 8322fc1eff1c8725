const { createQuizzesPage } = require('./logic');

Page(createQuizzesPage({ api: require('../../utils/client'), wx }));
