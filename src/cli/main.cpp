#include "run.hpp"

int main(int argc, char** argv) {
    return ascpp::cli::run(argc, argv);
}
