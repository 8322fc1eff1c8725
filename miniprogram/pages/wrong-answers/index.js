const { createWrongAnswersPage } = require('./logic');

Page(createWrongAnswersPage({ api: require('../../utils/client'), wx }));
