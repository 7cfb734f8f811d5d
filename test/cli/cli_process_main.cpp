#define BOOST_TEST_MODULE ascpp command line against the simulator
#include <boost/test/unit_test.hpp>
