const { createPointsPage } = require('./logic');

Page(createPointsPage({ api: require('../../utils/client'), wx }));
