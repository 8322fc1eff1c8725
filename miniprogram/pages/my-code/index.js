const { createMyCodePage } = require('./logic');

Page(createMyCodePage({ api: require('../../utils/client'), wx }));
