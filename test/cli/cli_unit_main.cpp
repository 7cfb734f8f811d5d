#define BOOST_TEST_MODULE ascpp command line units
#include <boost/test/unit_test.hpp>
