#define BOOST_TEST_MODULE ascpp upload units
#include <boost/test/unit_test.hpp>
