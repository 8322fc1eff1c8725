const { createLeaderboardPage } = require('./logic');

Page(createLeaderboardPage({ api: require('../../utils/client'), wx }));
