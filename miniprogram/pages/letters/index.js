const { createLettersPage } = require('./logic');

Page(createLettersPage({ api: require('../../utils/client'), wx }));
