const { createLetterPage } = require('./logic');

Page(createLetterPage({ api: require('../../utils/client'), wx }));
