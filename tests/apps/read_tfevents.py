# Reads a TensorBoard log folder with the tensorboard package's own EventAccumulator and prints
# "tag step value" for every scalar, for tensorboard_test.cpp. Run with the venv's python.
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

def main(folder):
    acc = EventAccumulator(folder, size_guidance={"scalars": 0})  # 0: keep every event
    acc.Reload()
    print("file_version", acc.file_version)
    for tag in sorted(acc.Tags()["scalars"]):
        for event in acc.Scalars(tag):
            print(tag, event.step, repr(event.value))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
