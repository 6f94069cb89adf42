export {
  createTestTopics,
  deleteTestTopics,
  kafkaBrokersForTest,
  kafkaTestLogEntries,
  quietKafkaLogCreator,
  testKafka,
  uniqueTopicName,
} from './test-topics';
