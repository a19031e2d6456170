"Shared test setup: every test starts and ends with the process's default number of torch threads."
import pytest
import torch

DEFAULT_THREADS = torch.get_num_threads()


@pytest.fixture(autouse=True)
def restore_torch_threads():
    "A test may set fewer threads for speed; the next test (and any subprocess it compares against) sees the default."
    torch.set_num_threads(DEFAULT_THREADS)
    yield
    torch.set_num_threads(DEFAULT_THREADS)
