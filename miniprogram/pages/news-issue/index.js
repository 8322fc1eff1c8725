const { createNewsIssuePage } = require('./logic');

Page(createNewsIssuePage({ api: require('../../utils/client'), wx }));
