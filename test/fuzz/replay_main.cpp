// Runs a fuzz target over its kept inputs (the seeds and every crash found and fixed), so the
// regular suite, built with the project's compiler, guards against regressions. Arguments:
// directories or files of inputs.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

} // namespace

int main(int argc, char* argv[]) {
    std::size_t inputs = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            for (const auto& entry : std::filesystem::recursive_directory_iterator(arg))
                if (entry.is_regular_file()) {
                    run(entry.path());
                    ++inputs;
                }
        } else {
            run(arg);
            ++inputs;
        }
    }
    std::cout << "replayed " << inputs << " inputs\n";
    // An empty corpus would make the test pass without checking anything.
    return inputs > 0 ? 0 : 1;
}
