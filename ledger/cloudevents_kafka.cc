// Placeholder until the binding lands (issue 3).
#include "gpuledger/cloudevents_kafka.h"
