const { createQuizResultPage } = require('./logic');

Page(createQuizResultPage({ api: require('../../utils/client'), wx }));
