// The real broker's plumbing (ops/kafka-broker.sh, started by CTest's kafka_broker fixture):
// librdkafka produces 10 messages to a fresh topic and a consumer group reads them back.
// Suites named KafkaBroker* get GPULEDGER_KAFKA_BROKERS from CTest (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "consumers/kafka/rdkafka_handles.h"
#include "tests/support/kafka_test_util.h"

namespace gpuledger {
namespace {

using namespace std::chrono_literals;

TEST(KafkaBrokerSmoke, MetadataAndRoundTrip) {
  const std::string brokers = testing::RealBrokers();
  ASSERT_FALSE(brokers.empty())
      << "GPULEDGER_KAFKA_BROKERS is unset: run through CTest (fixture kafka_broker), or start "
         "ops/kafka-broker.sh and export GPULEDGER_KAFKA_BROKERS=$(ops/kafka-broker.sh bootstrap)";

  // Metadata: the broker answers and reports itself.
  kafka::KafkaPtr producer = testing::MakeClient(
      RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers}, {"acks", "all"}, {"linger.ms", "0"}});
  ASSERT_TRUE(producer);
  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(producer.get(), 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->broker_cnt, 1);
  rd_kafka_metadata_destroy(md);

  // Produce 10 messages to a fresh (auto-created) topic.
  const std::string topic = testing::UniqueTopic("smoke");
  std::vector<std::string> sent;
  for (int i = 0; i < 10; ++i) {
    sent.push_back("message-" + std::to_string(i));
    const std::string& v = sent.back();
    rd_kafka_resp_err_t err =
        rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(rd_kafka_outq_len(producer.get()), 0);

  // Consume them back through a consumer group (the group coordinator works too).
  kafka::KafkaPtr consumer =
      testing::MakeClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers},
                                              {"group.id", testing::UniqueTopic("smoke-g")},
                                              {"auto.offset.reset", "earliest"},
                                              {"enable.auto.commit", "false"}});
  ASSERT_TRUE(consumer);
  rd_kafka_poll_set_consumer(consumer.get());
  kafka::PartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<std::string> received;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (received.size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
    kafka::MessagePtr msg(rd_kafka_consumer_poll(consumer.get(), 500));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    ASSERT_EQ(msg->err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_message_errstr(msg.get());
    received.emplace_back(static_cast<const char*>(msg->payload), msg->len);
  }
  rd_kafka_consumer_close(consumer.get());
  ASSERT_EQ(received.size(), sent.size());
  EXPECT_EQ(received, sent);
}

}  // namespace
}  // namespace gpuledger
