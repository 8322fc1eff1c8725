const { createLetterNewPage } = require('./logic');

Page(createLetterNewPage({ api: require('../../utils/client'), wx }));
