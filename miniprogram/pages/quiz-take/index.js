const { createQuizTakePage } = require('./logic');

Page(createQuizTakePage({ api: require('../../utils/client'), wx }));
