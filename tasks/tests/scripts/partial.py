import sys
import time

sys.stdout.write("working... ")
time.sleep(1.5)
sys.stdout.write("done\n")
