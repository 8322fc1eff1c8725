// Mini-program tests: components and pages under jsdom with miniprogram-simulate; the contract test
// (tests/contract.test.js) runs in node against a live server started by pytest.
module.exports = {
  roots: ['<rootDir>/miniprogram'],
  testEnvironment: 'jsdom',
  testPathIgnorePatterns: process.env.CONTRACT_SERVER ? [] : ['contract\\.test\\.js$'],
};
