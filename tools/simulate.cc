// Placeholder until the simulator lands (issue 3).
#include "gpuledger/simulate.h"
