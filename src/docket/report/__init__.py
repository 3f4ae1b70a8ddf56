"""What Docket writes for readers: the self-contained HTML report (`page`) and the files of
`docket project` (`project`)."""
