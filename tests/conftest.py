"Pytest options for the notebook tests."
import os

def pytest_addoption(parser):
    parser.addoption("--flags", action="store", default=os.environ.get("SNP_TEST_FLAGS", ""),
                     help="space-separated nbdev test flags to run, e.g. 'slow' or 'slow gpu' "
                          "(default: $SNP_TEST_FLAGS; cells with other flags are skipped)")
