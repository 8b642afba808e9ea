# Requests per second per scenario and server, from the data bench/run writes.
#   gnuplot -e "datafile='bench/results/req-per-s.dat'; outfile='bench/results/req-per-s.png'" bench/plot.gp
# (those two paths are the defaults, relative to the working directory).
if (!exists("datafile")) datafile = "bench/results/req-per-s.dat"
if (!exists("outfile")) outfile = "bench/results/req-per-s.png"

# Tab-separated: the scenario, then one column per server; the first line names them.
ncols = int(system("head -n 1 '" . datafile . "' | awk -F'\t' '{print NF}'"))
ymax = real(system("awk -F'\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i + 0 > m) m = $i + 0 } END { print (m > 0 ? m : 1) }' '" . datafile . "'"))

set terminal png size 1100,620 font ",11"
set output outfile
set title "Requests per second, median of the rounds (higher is better; log scale)"
set datafile separator "\t"
set datafile missing "NaN"
set key autotitle columnheader
set key outside right top vertical
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [1:ymax * 10]
set format y "%.0s%c"
set ylabel "req/s"
set grid ytics
set xtics nomirror
set ytics nomirror

# Bars, then each bar's value above it: in a cluster of n bars, bar k (from 0)
# is centred at x = row + (k - (n - 1) / 2) / (n + gap).
nserv = ncols - 1
plot for [i=2:ncols] datafile using i:xtic(1), \
     for [i=2:ncols] datafile using ($0 + (i - 2 - (nserv - 1) / 2.0) / (nserv + 1)):(column(i)):(sprintf("%.0f", column(i))) \
        with labels rotate by 90 left offset 0,0.4 font ",9" notitle
