const { createNewsArticlePage } = require('./logic');

Page(createNewsArticlePage({ api: require('../../utils/client'), wx }));
