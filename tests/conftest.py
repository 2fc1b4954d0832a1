"Pytest options for the notebook tests."
import os

# Idle OpenMP threads must not spin: on a 2-core machine a spinning pool makes eigh ~100x slower
# when anything else runs (set before torch is imported by any test).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

def pytest_addoption(parser):
    parser.addoption("--flags", action="store", default=os.environ.get("SNP_TEST_FLAGS", ""),
                     help="space-separated nbdev test flags to run, e.g. 'slow' or 'slow gpu' "
                          "(default: $SNP_TEST_FLAGS; cells with other flags are skipped)")
