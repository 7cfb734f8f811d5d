// The state watcher's verdict on what a look saw (src/workflow/watch_verdict.hpp), without a
// server: reached, ended in another final state, or still waiting.
#include <boost/test/unit_test.hpp>

#include "workflow/watch_verdict.hpp"

#include <string>
#include <vector>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "workflow_decisions_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace wf = ascpp::workflow;
using wf::release_channel;
using wf::detail::judge_watch;
using wf::detail::watch_kind;
using wf::detail::watch_verdict;

namespace {

const std::vector<std::string> complete{"COMPLETE"};

} // namespace

BOOST_AUTO_TEST_CASE(a_version_reaches_its_target_fails_or_keeps_waiting) {
    const auto v = watch_kind::version;
    const auto ch = release_channel::internal_beta;
    BOOST_TEST((judge_watch(v, ch, complete, "COMPLETE") == watch_verdict::reached));
    BOOST_TEST((judge_watch(v, ch, complete, "FAILED") == watch_verdict::unreachable));
    BOOST_TEST((judge_watch(v, ch, complete, "PROCESSING") == watch_verdict::waiting));
    BOOST_TEST((judge_watch(v, ch, complete, "AWAITING_UPLOAD") == watch_verdict::waiting));
    BOOST_TEST((judge_watch(v, ch, complete, "") == watch_verdict::waiting));
    // A state Apple adds later is not final until it is known to be.
    BOOST_TEST((judge_watch(v, ch, complete, "ARCHIVED") == watch_verdict::waiting));
    // A target that is not final ends the watch early; FAILED may be the target itself.
    BOOST_TEST(
        (judge_watch(v, ch, {"PROCESSING", "COMPLETE"}, "PROCESSING") == watch_verdict::reached));
    BOOST_TEST((judge_watch(v, ch, {"FAILED"}, "FAILED") == watch_verdict::reached));
    BOOST_TEST((judge_watch(v, ch, {"FAILED"}, "COMPLETE") == watch_verdict::unreachable));
}

BOOST_AUTO_TEST_CASE(an_upload_file_ends_in_complete_or_failed) {
    const auto f = watch_kind::upload_file;
    const auto ch = release_channel::internal_beta;
    BOOST_TEST((judge_watch(f, ch, complete, "COMPLETE") == watch_verdict::reached));
    BOOST_TEST((judge_watch(f, ch, complete, "FAILED") == watch_verdict::unreachable));
    BOOST_TEST((judge_watch(f, ch, complete, "UPLOAD_COMPLETE") == watch_verdict::waiting));
    BOOST_TEST((judge_watch(f, ch, {"UPLOAD_COMPLETE", "COMPLETE"}, "UPLOAD_COMPLETE") ==
                watch_verdict::reached));
}

BOOST_AUTO_TEST_CASE(a_rejected_release_is_final_except_in_internal_beta) {
    const std::vector<std::string> live{"READY_FOR_TESTING"};
    for (auto k : {watch_kind::release_by_id, watch_kind::release_of_version}) {
        BOOST_TEST((judge_watch(k, release_channel::external_beta, live, "REJECTED") ==
                    watch_verdict::unreachable));
        BOOST_TEST((judge_watch(k, release_channel::app_store, live, "REJECTED") ==
                    watch_verdict::unreachable));
        BOOST_TEST((judge_watch(k, release_channel::internal_beta, live, "REJECTED") ==
                    watch_verdict::waiting));
        BOOST_TEST((judge_watch(k, release_channel::internal_beta, live, "SUPERSEDED") ==
                    watch_verdict::unreachable));
        BOOST_TEST((judge_watch(k, release_channel::app_store, live, "READY_FOR_TESTING") ==
                    watch_verdict::reached));
        BOOST_TEST((judge_watch(k, release_channel::app_store, live, "IN_REVIEW") ==
                    watch_verdict::waiting));
    }
}

BOOST_AUTO_TEST_CASE(a_release_of_a_failed_version_never_comes) {
    const std::vector<std::string> live{"READY_FOR_TESTING"};
    const auto k = watch_kind::release_of_version;
    const auto ch = release_channel::external_beta;
    // No release yet, and the version itself FAILED.
    BOOST_TEST((judge_watch(k, ch, live, "", "FAILED") == watch_verdict::version_failed));
    BOOST_TEST((judge_watch(k, ch, live, "", "PROCESSING") == watch_verdict::waiting));
    // The release's own state decides first.
    BOOST_TEST((judge_watch(k, ch, live, "READY_FOR_TESTING", "FAILED") == watch_verdict::reached));
    BOOST_TEST((judge_watch(k, ch, live, "REJECTED", "FAILED") == watch_verdict::unreachable));
    // Only release_of_version watches look at the version's state.
    BOOST_TEST(
        (judge_watch(watch_kind::release_by_id, ch, live, "", "FAILED") == watch_verdict::waiting));
}
