// Placeholder until the producer lands (issue 3).
#include "gpuledger/kafka_produce.h"
