export {
  createTestTopics,
  deleteTestTopics,
  groupCaughtUp,
  platformTopics,
  kafkaBrokersForTest,
  kafkaTestLogEntries,
  quietKafkaLogCreator,
  testKafka,
  testKafkaConfig,
  uniqueTopicName,
} from './test-topics';
