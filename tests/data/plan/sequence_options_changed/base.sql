create sequence invoice_numbers start 1000;
