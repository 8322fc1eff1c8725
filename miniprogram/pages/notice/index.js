const { createNoticePage } = require('./logic');

Page(createNoticePage({ api: require('../../utils/client'), wx }));
