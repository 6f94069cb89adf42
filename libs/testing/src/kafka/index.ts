export {
  createTestTopics,
  deleteTestTopics,
  groupCaughtUp,
  platformTopics,
  kafkaBrokersForTest,
  kafkaTestLogEntries,
  quietKafkaLogCreator,
  testKafka,
  uniqueTopicName,
} from './test-topics';
