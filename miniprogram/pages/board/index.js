const { createBoardPage } = require('./logic');

Page(createBoardPage({ api: require('../../utils/client'), wx }));
